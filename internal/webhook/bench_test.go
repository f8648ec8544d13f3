package webhook_test

import (
	"bytes"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte("a"), 1024)
	ts := testNow.Unix()
	for _, name := range []string{"github", "stripe"} {
		b.Run(name, func(b *testing.B) {
			v := vectorNamed(b, name)
			scheme := mustParse(b, v.spec(secretOld))
			h := v.sign(secretOld, body, ts)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !scheme.Verify(h, body, testNow).OK {
					b.Fatal("verify failed")
				}
			}
		})
	}
}

func vectorNamed(tb testing.TB, name string) vector {
	for _, v := range vectors {
		if v.name == name {
			return v
		}
	}
	tb.Fatalf("no vector %q", name)
	return vector{}
}
