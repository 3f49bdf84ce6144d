package fault

import (
	"os"
	"testing"

	"github.com/tightrope/tightrope/internal/cdctest"
)

// TestMain stops the throwaway change-capture servers the cdc fault tests
// start.
func TestMain(m *testing.M) { os.Exit(cdctest.Main(m)) }
