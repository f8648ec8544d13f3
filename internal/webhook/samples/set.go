package samples

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// applySet applies one "path=value" override to the body tree.
func applySet(tree any, s string) error {
	path, raw, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("set %q: want PATH=VALUE: %w", s, ErrBadSet)
	}
	segs := strings.Split(path, ".")
	if err := setPath(tree, segs, setValue(raw)); err != nil {
		return fmt.Errorf("set %s: %w", path, err)
	}
	return nil
}

// setValue parses raw as JSON when it is valid JSON, else keeps the text.
func setValue(raw string) any {
	if json.Valid([]byte(raw)) {
		if v, err := decodeJSON([]byte(raw)); err == nil {
			return v
		}
	}
	return raw
}

// setPath walks objects by key and arrays by index, creating missing (or
// null) object members along the way.
func setPath(node any, segs []string, value any) error {
	seg := segs[0]
	if seg == "" {
		return fmt.Errorf("empty path segment: %w", ErrBadSet)
	}
	switch n := node.(type) {
	case *object:
		return setInObject(n, segs, value)
	case []any:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(n) {
			return fmt.Errorf("%q: want an index below %d: %w", seg, len(n), ErrBadSet)
		}
		if len(segs) == 1 {
			n[i] = value
			return nil
		}
		return setPath(n[i], segs[1:], value)
	}
	return fmt.Errorf("%q: parent is not an object or array: %w", seg, ErrBadSet)
}

func setInObject(o *object, segs []string, value any) error {
	if len(segs) == 1 {
		o.set(segs[0], value)
		return nil
	}
	child, ok := o.get(segs[0])
	if !ok || child == nil {
		child = newObject()
		o.set(segs[0], child)
	}
	return setPath(child, segs[1:], value)
}
