package option

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Structured decodes a config-file key that is not a plain option (a list of mappings,
// a map of settings). It is called with the key's value node.
type Structured func(*yaml.Node) error

// ReadFile applies a YAML config file: every key is an option's Key or one of
// structured. An option given as a flag or in the environment keeps that value; an
// unknown key is an error naming it. An empty file is an empty config.
func (s *Set) ReadFile(b []byte, getenv func(string) string, structured map[string]Structured) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return Usage(err)
	}
	return s.ApplyNode(&doc, getenv, structured)
}

// ApplyNode applies a decoded YAML mapping, as ReadFile does a file: a config file's
// nested settings (per-tunnel options) use it with a set of their own.
func (s *Set) ApplyNode(top *yaml.Node, getenv func(string) string, structured map[string]Structured) error {
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind == yaml.DocumentNode || top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		return Usage(fmt.Errorf("line %d: want a mapping of keys to values", top.Line))
	}
	var errs []error
	for i := 0; i+1 < len(top.Content); i += 2 {
		errs = append(errs, s.fileKey(top.Content[i], top.Content[i+1], getenv, structured))
	}
	return Usage(errors.Join(errs...))
}

// fileKey applies one key of the file.
func (s *Set) fileKey(k, v *yaml.Node, getenv func(string) string, structured map[string]Structured) error {
	if fn, ok := structured[k.Value]; ok {
		return fn(v)
	}
	o := s.byKey(k.Value)
	if o == nil {
		return fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
	}
	if s.From(o.Name) == "flag" || getenv(o.Env()) != "" {
		return nil // a flag or the environment wins
	}
	text, err := scalarText(v)
	if err != nil {
		return fmt.Errorf("line %d: %s: %w", v.Line, k.Value, err)
	}
	if l, ok := o.Value.(*listValue); ok {
		s.source[o.Name] = "file " + k.Value
		l.Reset()
		for _, item := range text {
			_ = l.Set(item)
		}
		return nil
	}
	if len(text) != 1 {
		return fmt.Errorf("line %d: %s: want one value, not a list", v.Line, k.Value)
	}
	return s.set(o, text[0], "file "+k.Value)
}

// byKey finds the option whose file key is key.
func (s *Set) byKey(key string) *Option {
	for _, o := range s.opts {
		if o.Key() != "" && o.Key() == key {
			return o
		}
	}
	return nil
}

// scalarText is the text of a scalar, or of each item of a sequence of scalars.
func scalarText(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return []string{""}, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errors.New("want a list of plain values")
			}
			out = append(out, item.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a value, not a %s", strings.TrimPrefix(v.Tag, "!!"))
}
