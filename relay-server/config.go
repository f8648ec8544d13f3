package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// config is everything relay-server reads from flags, env and the config file.
type config struct {
	Addr       string                    `yaml:"addr"`
	Domain     string                    `yaml:"domain"`
	Data       string                    `yaml:"data"`
	Tokens     []string                  `yaml:"tokens"`
	Dev        bool                      `yaml:"dev"`
	Timeout    time.Duration             `yaml:"timeout"`
	BodyLimit  int64                     `yaml:"body_limit"`
	RecordCap  int64                     `yaml:"record_cap"`
	Retention  time.Duration             `yaml:"retention"`
	MaxRecords int                       `yaml:"max_records"`
	QueueTTL   time.Duration             `yaml:"queue_ttl"`
	LogFormat  string                    `yaml:"log_format"`
	Tunnels    map[string]tunnelSettings `yaml:"tunnels"`
	NoRecord   bool                      `yaml:"no_record"`

	devToken string // generated in dev mode, never from the file
}

type tunnelSettings struct {
	Timeout   time.Duration `yaml:"timeout"`
	BodyLimit int64         `yaml:"body_limit"`
	Offline   string        `yaml:"offline"`
}

// flags binds the command-line flags to c. Defaults here are the non-dev ones; --dev
// changes the defaults of addr and domain (see finish).
func (c *config) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", ":443", "public listener address (default 127.0.0.1:8080 with --dev)")
	fs.StringVar(&c.Domain, "domain", "", "base domain: tunnels are DOMAIN/t/NAME/ and NAME.DOMAIN (localhost with --dev)")
	fs.StringVar(&c.Data, "data", "./hookrelay-data", "data directory: database, certificate cache")
	fs.StringArrayVar(&c.Tokens, "token", nil, "client token, in clear or as sha256:<hex> (repeatable)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode: plain HTTP on loopback, no ACME, a generated token")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "how long a local app may take to answer")
	fs.Int64Var(&c.BodyLimit, "body-limit", 32<<20, "largest request body accepted, in bytes")
	fs.Int64Var(&c.RecordCap, "record-cap", 10<<20, "body bytes recorded per request and response")
	fs.DurationVar(&c.Retention, "retention", 7*24*time.Hour, "how long deliveries are kept")
	fs.IntVar(&c.MaxRecords, "max-records", 10000, "deliveries kept per tunnel (0: no cap)")
	fs.DurationVar(&c.QueueTTL, "queue-ttl", 24*time.Hour, "how long a queued delivery waits for its client")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&c.NoRecord, "no-record", false, "record nothing (benchmarks only: no replay, no queue)")
}

// load fills c from flags, then HOOKRELAY_<FLAG> env for flags not given, then the
// config file for what is still unset.
func load(args []string, getenv func(string) string) (*config, error) {
	c := new(config)
	fs := pflag.NewFlagSet("relay-server", pflag.ContinueOnError)
	c.flags(fs)
	configFile := fs.String("config", getenv("HOOKRELAY_CONFIG"), "YAML config file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *configFile != "" {
		if err := c.readFile(*configFile, fs); err != nil {
			return nil, err
		}
	}
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	return c, c.finish(fs)
}

// readFile applies the YAML file to every flag not given on the command line. Unknown
// keys are an error.
func (c *config) readFile(path string, fs *pflag.FlagSet) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var file config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, errEOF) {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	mergeFile(c, &file, fs)
	return nil
}

// applyEnv sets every flag not given on the command line from HOOKRELAY_<FLAG>.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		key := "HOOKRELAY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(key)
		if f.Changed || v == "" || err != nil {
			return
		}
		for _, part := range envValues(f, v) {
			if e := fs.Set(f.Name, part); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	return err
}

// envValues splits a list flag's env value on commas.
func envValues(f *pflag.Flag, v string) []string {
	if f.Value.Type() == "stringArray" {
		return strings.Split(v, ",")
	}
	return []string{v}
}

// finish applies --dev defaults and checks the result.
func (c *config) finish(fs *pflag.FlagSet) error {
	if c.Dev {
		if !fs.Changed("addr") && c.Addr == ":443" {
			c.Addr = "127.0.0.1:8080"
		}
		if c.Domain == "" {
			c.Domain = "localhost"
		}
	}
	if c.Domain == "" {
		return errors.New("--domain is required (or --dev)")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	return nil
}

// devToken returns the data dir's development token, creating it on first use, so that
// a restarted dev server accepts the client it printed the command for.
func devToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "dev-token")
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	tok := "hr_" + hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save dev token: %w", err)
	}
	return tok, nil
}

var errEOF = io.EOF

// mergeFile copies the file's values into c for flags not given on the command line.
func mergeFile(c, file *config, fs *pflag.FlagSet) {
	pick(fs, "addr", &c.Addr, file.Addr)
	pick(fs, "domain", &c.Domain, file.Domain)
	pick(fs, "data", &c.Data, file.Data)
	pick(fs, "dev", &c.Dev, file.Dev)
	pick(fs, "timeout", &c.Timeout, file.Timeout)
	pick(fs, "body-limit", &c.BodyLimit, file.BodyLimit)
	pick(fs, "record-cap", &c.RecordCap, file.RecordCap)
	pick(fs, "retention", &c.Retention, file.Retention)
	pick(fs, "max-records", &c.MaxRecords, file.MaxRecords)
	pick(fs, "queue-ttl", &c.QueueTTL, file.QueueTTL)
	pick(fs, "log-format", &c.LogFormat, file.LogFormat)
	pick(fs, "no-record", &c.NoRecord, file.NoRecord)
	if !fs.Changed("token") {
		c.Tokens = append(c.Tokens, file.Tokens...)
	}
	c.Tunnels = file.Tunnels
}

func pick[T comparable](fs *pflag.FlagSet, name string, dst *T, v T) {
	var zero T
	if !fs.Changed(name) && v != zero {
		*dst = v
	}
}
