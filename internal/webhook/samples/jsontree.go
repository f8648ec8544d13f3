package samples

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// errJSON reports a template or --set value that is not the JSON expected.
var errJSON = errors.New("samples: invalid JSON")

// object is a JSON object that keeps its keys in order, so that sample
// bodies read like the sender's and re-serialising them in JavaScript
// (JSON.stringify(JSON.parse(body))) reproduces the exact bytes.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// set replaces a value in place or appends a new key.
func (o *object) set(key string, v any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// decodeJSON parses one JSON value into *object, []any, string,
// json.Number, bool or nil.
func decodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode json: trailing data: %w", errJSON)
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return decodeObject(d)
	case json.Delim('['):
		return decodeArray(d)
	}
	if _, ok := tok.(json.Delim); ok {
		return nil, errJSON
	}
	return tok, nil
}

func decodeObject(d *json.Decoder) (any, error) {
	o := newObject()
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errJSON
		}
		v, err := decodeValue(d)
		if err != nil {
			return nil, err
		}
		o.set(key, v)
	}
	_, err := d.Token() // '}'
	return o, err
}

func decodeArray(d *json.Decoder) (any, error) {
	a := []any{}
	for d.More() {
		v, err := decodeValue(d)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	_, err := d.Token() // ']'
	return a, err
}

// encodeJSON writes v compactly, without HTML escaping, keys in order.
func encodeJSON(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case *object:
		buf.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			encodeString(buf, k)
			buf.WriteByte(':')
			encodeJSON(buf, v.vals[k])
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			encodeJSON(buf, e)
		}
		buf.WriteByte(']')
	default:
		encodeScalar(buf, v)
	}
}

func encodeScalar(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case string:
		encodeString(buf, v)
	case json.Number:
		buf.WriteString(v.String())
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	default:
		buf.WriteString("null")
	}
}

func encodeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}
