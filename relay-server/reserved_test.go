package main

import (
	"slices"
	"testing"
)

// Names reserved for a token in the config reach the server, which never releases them.
func TestReservedNamesReachServer(t *testing.T) {
	c := &config{Tokens: []tokenEntry{{Spec: "a-long-token-for-tests-1", Names: []string{"shop", "blog"}},
		{Spec: "another-long-token-for-tests-2"}}}
	sc := serverConfig(c, nil, nil, "http://relay.test", nil, nil)
	slices.Sort(sc.Reserved)
	if !slices.Equal(sc.Reserved, []string{"blog", "shop"}) {
		t.Errorf("server config reserved names %v, want [blog shop]", sc.Reserved)
	}
}
