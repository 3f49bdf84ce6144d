package engine

import (
	"os"
	"testing"

	"github.com/tightrope/tightrope/internal/cdctest"
)

// TestMain stops the throwaway change-capture servers the tests started.
func TestMain(m *testing.M) { os.Exit(cdctest.Main(m)) }
