package db

import (
	"bytes"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// readStream reads a whole COPY stream of rows with reads of n bytes,
// returning the bytes and the most the stream's buffer held.
func readStream(t *testing.T, rows [][]any, n int) ([]byte, int) {
	t.Helper()
	s := newPgCopyStream(pgEncoders(pgtype.NewMap(), benchOIDs), benchCols, rows)
	defer s.finish()
	var out []byte
	most := 0
	p := make([]byte, n)
	for {
		k, err := s.Read(p)
		out = append(out, p[:k]...)
		most = max(most, len(s.buf))
		if err == io.EOF {
			return out, most
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The COPY stream is the same bytes however the server's side reads it,
// and its buffer holds about one read (plus a row) instead of growing
// with the batch.
func TestPgCopyStreamSameBytesAnyReadSize(t *testing.T) {
	rows := benchRows(5000)
	want, _ := readStream(t, rows, 1<<20)
	if len(want) < 200_000 {
		t.Fatalf("the stream is only %d bytes", len(want))
	}
	for _, n := range []int{1, 7, 100, 4096, 65531} {
		got, most := readStream(t, rows, n)
		if !bytes.Equal(got, want) {
			t.Errorf("reads of %d bytes: %d bytes differ from reads of 1 MB (%d bytes)", n, len(got), len(want))
		}
		if limit := n + 4096; most > limit {
			t.Errorf("reads of %d bytes: the buffer held %d bytes, more than %d", n, most, limit)
		}
	}
}
