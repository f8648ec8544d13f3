package webhook

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
)

// eventIDFunc extracts a sender's event id from a delivery, or "".
type eventIDFunc func(h http.Header, body []byte) string

// noEventID is the eventIDFunc of schemes that carry no id.
func noEventID(http.Header, []byte) string { return "" }

// idFromHeader reads the event id from a header.
func idFromHeader(name string) eventIDFunc {
	return func(h http.Header, _ []byte) string {
		return headerValue(h, name)
	}
}

// idFromField reads the event id from a top-level JSON string field of the
// body. The body is only decoded, never re-serialised; a body that is not a
// JSON object, or a field that is not a string, yields "".
func idFromField(field string) eventIDFunc {
	return func(_ http.Header, body []byte) string {
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil {
			return ""
		}
		var id string
		if json.Unmarshal(top[field], &id) != nil {
			return ""
		}
		return id
	}
}

// newMessageID returns a fresh random id such as "msg_3k9x...". It is used
// when a scheme signs an id and the caller supplied none.
func newMessageID() string {
	return "msg_" + rand.Text()
}
