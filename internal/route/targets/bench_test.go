package targets

import "testing"

func BenchmarkPick(b *testing.B) {
	s, err := Parse([]string{"/webhooks/leads=4000", "/webhooks=3000", "/api/v1/events=5000", "/=8080"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if t, err := s.Pick("/webhooks/leads/42?source=form"); err != nil || t.Prefix != "/webhooks/leads" {
			b.Fatal(t, err)
		}
	}
}
