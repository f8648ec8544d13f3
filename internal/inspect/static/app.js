// hookrelay inspector: live rows over server-sent events, copy as curl, row clicks.
// Every page works without this script; it only adds convenience.
(function () {
  'use strict';

  var table = document.getElementById('deliveries');
  if (table && table.dataset.events && window.EventSource) {
    follow(table);
  }
  var copy = document.getElementById('copy-curl');
  if (copy) {
    setupCopy(copy);
  }
  var editOpen = document.getElementById('edit-open');
  if (editOpen) {
    editOpen.addEventListener('click', openEdit);
  }
  var rows = document.getElementById('rows');
  if (rows) {
    rows.addEventListener('click', rowClick);
  }

  // follow keeps the list live: new deliveries are prepended, updated ones replaced.
  function follow(table) {
    var rows = document.getElementById('rows');
    var live = document.getElementById('live');
    var announce = document.getElementById('announce');
    var lastState = null;
    var es = new EventSource(table.dataset.events);
    es.addEventListener('open', function () { setLive(live, true); });
    es.addEventListener('error', function () { setLive(live, false); });
    es.addEventListener('delivery', function (ev) {
      var d = JSON.parse(ev.data);
      var tpl = document.createElement('template');
      tpl.innerHTML = d.html.trim(); // rendered and escaped by the server's templates
      var tr = tpl.content.firstElementChild;
      if (!tr) {
        return;
      }
      var old = document.getElementById('r-' + d.id);
      if (old) {
        old.replaceWith(tr);
      } else {
        rows.prepend(tr);
      }
      tr.classList.add('fresh');
      var empty = document.getElementById('empty');
      if (empty) {
        empty.hidden = true;
      }
      var link = tr.querySelector('.path a');
      announce.textContent = 'New delivery: ' + tr.querySelector('.method').textContent + ' ' +
        (link ? link.textContent : '');
    });
    es.addEventListener('state', function (ev) {
      var st = JSON.parse(ev.data).state;
      var badge = document.getElementById('state');
      if (badge) {
        badge.textContent = st;
        badge.className = 'state state-' + st;
      }
      if (st === 'online' && lastState && lastState !== 'online') {
        document.getElementById('resync').hidden = false;
      }
      lastState = st;
    });
    lastState = (document.getElementById('state') || {}).textContent || null;
  }

  function setLive(el, on) {
    el.hidden = false;
    el.textContent = on ? 'live' : 'feed interrupted, retrying…';
    el.classList.toggle('off', !on);
  }

  function setupCopy(btn) {
    var pre = document.getElementById('curl');
    var done = document.getElementById('copy-done');
    btn.hidden = false;
    btn.addEventListener('click', function () {
      var text = pre.textContent;
      var ok = function () { done.textContent = 'Copied.'; };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        var copied = false;
        try {
          copied = document.execCommand('copy');
        } catch (e) {
          copied = false;
        }
        done.textContent = copied ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(ok, fallback);
      } else {
        fallback();
      }
    });
  }

  function openEdit(ev) {
    var details = document.getElementById('edit');
    if (!details) {
      return;
    }
    ev.preventDefault();
    details.open = true;
    details.scrollIntoView({ block: 'start' });
    var first = document.getElementById('e-body') || document.getElementById('e-method');
    first.focus();
  }

  // rowClick opens a delivery when its row is clicked outside a link; keyboard users
  // follow the link in the path cell.
  function rowClick(ev) {
    if (ev.target.closest('a, button, input, select, textarea') || window.getSelection().toString()) {
      return;
    }
    var tr = ev.target.closest('tr[data-id]');
    var link = tr && tr.querySelector('.path a');
    if (link) {
      window.location.href = link.href;
    }
  }
})();
