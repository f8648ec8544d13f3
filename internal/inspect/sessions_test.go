package inspect_test

import (
	"testing"

	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/inspect/sessiontest"
)

func TestMemorySessionsConformance(t *testing.T) {
	sessiontest.Run(t, func(*testing.T) inspect.SessionStore { return inspect.NewMemorySessions(nil) })
}
