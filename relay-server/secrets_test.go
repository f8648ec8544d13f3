package main

import (
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/proto"
)

// TestTokensNeverLogged runs the server with tokens in clear on the command line and in
// the config file, in both log formats, lets clients present good and bad tokens, and
// checks no token appears in anything the server printed.
func TestTokensNeverLogged(t *testing.T) {
	const (
		flagToken  = "hr_flag_secret_5f0c2a"
		fileToken  = "hr_file_secret_9d1e7b"
		wrongToken = "hr_wrong_secret_33aa01"
	)
	secrets := []string{flagToken, fileToken, wrongToken}
	cfgFile := writeFile(t, "relay.yaml", []byte("tokens:\n  - token: "+fileToken+"\n    names: [mine]\n"))
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var r *relayRun
			t.Cleanup(func() { // runs after the server stopped
				if r != nil {
					assertNoSecrets(t, r.out.String(), secrets)
				}
			})
			r = startRelay(t, "--self-signed", "--domain", "localhost", "--token", flagToken,
				"--config", cfgFile, "--log-format", format,
				"--addr", "127.0.0.1:0", "--http-addr", "off", "--admin-addr", "off")
			for _, tok := range secrets {
				connect(t, r, tok)
			}
			c := httpsClient(poolFromFile(t, r.CACertFile), r.Addr)
			req, _ := http.NewRequest(http.MethodPost, r.PublicURL+"/t/mine/x?token="+wrongToken, strings.NewReader(wrongToken))
			req.Header.Set("Authorization", "Bearer "+wrongToken)
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
}

// TestStartupErrorsHideTokens checks a config error about a token entry does not quote
// the token.
func TestStartupErrorsHideTokens(t *testing.T) {
	const secret = "hr_startup_secret_77c1"
	for _, file := range []string{
		"domain: relay.test\ntokens: [{token: " + secret + ", names: [Bad_Name]}]\n",
		"domain: relay.test\ntokens: [{token: " + secret + ", nmaes: [a]}]\n",
		"domain: relay.test\ntokens: [{token: [" + secret + "]}]\n",
		"domain: relay.test\ntokens: [{token: " + secret + ", names: [a]}, {token: x, names: [a]}]\n",
	} {
		_, err := loadWith(t, nil, nil, file)
		if err == nil {
			t.Fatalf("config accepted:\n%s", file)
		}
		assertNoSecrets(t, err.Error(), []string{secret})
	}
}

// connect opens the tunnel websocket with token and closes it again.
func connect(t *testing.T, r *relayRun, token string) {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: poolFromFile(t, r.CACertFile)}}
	h := http.Header{"Authorization": {"Bearer " + token}, proto.HeaderVersion: {strconv.Itoa(proto.Version)}}
	ws, resp, err := d.Dial("wss://localhost:"+portOf(t, r.Addr)+proto.ConnectPath, h)
	if err == nil {
		ws.Close()
	} else if resp != nil {
		resp.Body.Close()
	}
}

func assertNoSecrets(t *testing.T, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("output contains the token %q:\n%s", s, out)
		}
	}
}
