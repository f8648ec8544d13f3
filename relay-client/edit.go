package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
)

// editInEditor opens the recorded request in $EDITOR (vi if unset) as text: a request
// line, header lines, a blank line, then the body bytes. The result becomes edit.
func editInEditor(g *globals, rec *api.Record, edit *api.Edit) error {
	if rec.Request.BodyTruncated {
		fmt.Fprintln(g.stderr, "warning: the recorded body was truncated; you are editing its first bytes only")
	}
	dir, err := os.MkdirTemp("", "hookrelay-edit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, rec.ID+".http")
	if err := os.WriteFile(path, requestText(rec), 0o600); err != nil {
		return err
	}
	if err := runEditor(g, path); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return parseRequestText(b, rec.Request.Body, edit)
}

func runEditor(g *globals, path string) error {
	editor := g.getenv("VISUAL")
	if editor == "" {
		editor = g.getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "editor", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, g.stderr, g.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q: %w", editor, err)
	}
	return nil
}

func requestText(rec *api.Record) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\n", rec.Method, pathQuery(rec.Path, rec.Query))
	for _, h := range rec.Request.Headers {
		fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
	}
	b.WriteString("\n")
	b.Write(rec.Request.Body)
	return b.Bytes()
}

// parseRequestText reads the edited text back. A final newline the editor added to a
// body that had none is dropped, so an unchanged body stays byte-exact.
func parseRequestText(text, orig []byte, edit *api.Edit) error {
	head, body, found := bytes.Cut(text, []byte("\n\n"))
	if !found {
		head, body = bytes.TrimRight(text, "\n"), nil
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	if !sc.Scan() {
		return errors.New("edited request is empty")
	}
	method, target, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
	if !ok || !strings.HasPrefix(target, "/") {
		return fmt.Errorf("first line %q: want METHOD /path", sc.Text())
	}
	edit.Method, edit.Path, edit.Headers = method, strings.TrimSpace(target), [][2]string{}
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return fmt.Errorf("header line %q: want Name: value", sc.Text())
		}
		edit.Headers = append(edit.Headers, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	if len(orig) > 0 && orig[len(orig)-1] != '\n' && bytes.HasSuffix(body, []byte("\n")) && !bytes.Equal(body, orig) {
		body = body[:len(body)-1]
	}
	edit.Body = &body
	return nil
}

// sendLocal sends a recorded (and maybe edited) request straight to a local URL.
func sendLocal(ctx context.Context, out io.Writer, to string, rec *api.Record, edit *api.Edit) error {
	base, err := parseTarget(to)
	if err != nil {
		return err
	}
	method, target, hs, body := rec.Method, pathQuery(rec.Path, rec.Query), rec.Request.Headers, rec.Request.Body
	if edit.Method != "" {
		method, target, hs, body = edit.Method, edit.Path, edit.Headers, *edit.Body
	}
	u, err := url.Parse(strings.TrimSuffix(base.String(), "/") + target)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range hs {
		if !strings.EqualFold(h[0], "Content-Length") && !strings.EqualFold(h[0], "Host") {
			req.Header.Add(h[0], h[1])
		}
	}
	req.Header.Set("X-Hookrelay-Replay-Of", rec.ID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("send to %s: %w", u, err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	fmt.Fprintf(out, "Sent %s to %s: %s (%d bytes)\n", rec.ID, u, resp.Status, n)
	return nil
}
