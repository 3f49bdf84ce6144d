package bluegreen

import (
	"os"
	"testing"

	"github.com/tightrope/tightrope/internal/cdctest"
)

func TestMain(m *testing.M) { os.Exit(cdctest.Main(m)) }
