package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// fileConfig is the YAML config file. Keys are the flag names with underscores; unknown
// keys are an error. Pointer fields tell "set to empty" (a disabled listener) from absent.
type fileConfig struct {
	Addr          string                    `yaml:"addr"`
	HTTPAddr      *string                   `yaml:"http_addr"`
	AdminAddr     *string                   `yaml:"admin_addr"`
	AdminHost     string                    `yaml:"admin_host"`
	Domain        string                    `yaml:"domain"`
	Data          string                    `yaml:"data"`
	Tokens        []tokenEntry              `yaml:"tokens"`
	Dev           bool                      `yaml:"dev"`
	Timeout       time.Duration             `yaml:"timeout"`
	BodyLimit     int64                     `yaml:"body_limit"`
	RecordCap     int64                     `yaml:"record_cap"`
	Retention     time.Duration             `yaml:"retention"`
	MaxRecords    int                       `yaml:"max_records"`
	QueueTTL      time.Duration             `yaml:"queue_ttl"`
	LogFormat     string                    `yaml:"log_format"`
	Tunnels       map[string]tunnelSettings `yaml:"tunnels"`
	NoRecord      bool                      `yaml:"no_record"`
	Sync          string                    `yaml:"sync"`
	Email         string                    `yaml:"email"`
	ACMEDirectory string                    `yaml:"acme_directory"`
	ACMECAFile    string                    `yaml:"acme_ca_file"`
	TLSCert       string                    `yaml:"tls_cert"`
	TLSKey        string                    `yaml:"tls_key"`
	SelfSigned    bool                      `yaml:"self_signed"`
	Limits        limitsFile                `yaml:",inline"`
}

// readFile applies the YAML file to every flag not given on the command line.
func (c *config) readFile(path string, fs *pflag.FlagSet) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	file, err := parseFile(b)
	if err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	mergeFile(c, file, fs)
	return nil
}

// parseFile decodes a config file. An empty file is an empty config.
func parseFile(b []byte) (*fileConfig, error) {
	var file fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &file, nil
}

// mergeFile copies the file's values into c for flags not given on the command line.
// Env is applied afterwards and overrides the file.
func mergeFile(c *config, file *fileConfig, fs *pflag.FlagSet) {
	pick(fs, "addr", &c.Addr, file.Addr)
	pickPtr(fs, "http-addr", &c.HTTPAddr, file.HTTPAddr)
	pickPtr(fs, "admin-addr", &c.AdminAddr, file.AdminAddr)
	pick(fs, "admin-host", &c.AdminHost, file.AdminHost)
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
	pick(fs, "sync", &c.Sync, file.Sync)
	pick(fs, "email", &c.Email, file.Email)
	pick(fs, "acme-directory", &c.ACMEDirectory, file.ACMEDirectory)
	pick(fs, "acme-ca-file", &c.ACMECAFile, file.ACMECAFile)
	pick(fs, "tls-cert", &c.TLSCert, file.TLSCert)
	pick(fs, "tls-key", &c.TLSKey, file.TLSKey)
	pick(fs, "self-signed", &c.SelfSigned, file.SelfSigned)
	mergeLimits(c, &file.Limits, fs)
	c.Tokens = file.Tokens
	c.Tunnels = file.Tunnels
}

// pick sets *dst to a non-zero file value when the flag was not given.
func pick[T comparable](fs *pflag.FlagSet, name string, dst *T, v T) {
	var zero T
	if !fs.Changed(name) && v != zero {
		*dst = v
	}
}

// pickPtr sets *dst to a present file value, even an empty one, when the flag was not
// given.
func pickPtr(fs *pflag.FlagSet, name string, dst *string, v *string) {
	if !fs.Changed(name) && v != nil {
		*dst = *v
	}
}
