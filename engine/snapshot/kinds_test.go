package snapshot

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
)

// TestChecksumKinds: a manifest holding canonical checksums (as every
// manifest did before the server-side kinds) is verified canonically; a
// manifest holding a kind the server cannot compute is refused before
// anything is restored.
func TestChecksumKinds(t *testing.T) {
	for _, c := range []struct {
		name   string
		server func(testing.TB) (db.DB, string)
		method string
	}{{"postgres", pgServer, db.MethodPgDump}, {"mysql schema", mysqlServer, db.MethodSchema}, {"mysqldump", mysqlServer, db.MethodMysqldump}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			d, _ := c.server(t)
			fixture(t, d)
			m := mustTake(t, d, request(t.TempDir(), c.method, 0))

			old := m
			old.Tables = canonicalChecksums(t, d, m)
			if old.InServer {
				old.SHA256 = tablesDigest(old.Tables)
			}
			damage(t, d)
			res, err := Restore(ctx, d, old)
			if err != nil || !res.Verified || !reflect.DeepEqual(res.Tables, old.Tables) {
				t.Fatalf("restore of a canonical manifest: verified=%v, %v\n%+v\nwant %+v", res.Verified, err, res.Tables, old.Tables)
			}
			if err := VerifyArtefact(ctx, old, d); err != nil {
				t.Fatalf("VerifyArtefact of a canonical manifest: %v", err)
			}

			other := m
			other.Tables = slices.Clone(m.Tables)
			other.Tables[1].Checksum = "zzhash9:12345"
			if other.InServer {
				other.SHA256 = tablesDigest(other.Tables)
			}
			damage(t, d)
			before := canonicalChecksums(t, d, m)
			if _, err := Restore(ctx, d, other); err == nil || !strings.Contains(err.Error(), `"zzhash9" checksum, which`) {
				t.Fatalf("restore of a manifest of an unknown kind: %v", err)
			}
			if got := canonicalChecksums(t, d, m); !reflect.DeepEqual(got, before) {
				t.Fatal("the refused restore changed the live data")
			}
		})
	}
}
