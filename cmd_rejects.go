package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

func rejectsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rejects JOURNAL",
		Short: "List every rejected row with table, key, column, reason and the whole row",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			streamingGC()
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
			var rw journal.RejectsWriter
			switch format {
			case "csv":
				if !isTerminal(cmd.OutOrStdout()) { // a file keeps the rows exact
					rw = journal.NewRejectsCSV(out)
					break
				}
				// On a terminal, row data never reaches it raw: control
				// characters are shown as escapes (JSON escapes them itself).
				rw = journal.NewRejectsCSV(&safeLines{w: out})
			case "json":
				rw = journal.NewRejectsJSON(out)
			default:
				return usageError{fmt.Errorf("--format must be csv or json, not %q", format)}
			}
			// The rows stream from the journal to the output: 100,000
			// rejects take no more memory than ten.
			if err := journal.EachReject(cmd.Context(), args[0], rw.Write); err != nil {
				return err
			}
			if err := rw.Close(); err != nil {
				return err
			}
			return out.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv | json")
	return cmd
}

// safeLines passes what is written to w through safetext.Text a whole
// line at a time (a newline never splits a character), keeping the rest
// for the next write; Close is not needed because every CSV record ends
// with a newline.
type safeLines struct {
	w    io.Writer
	part []byte
}

func (s *safeLines) Write(p []byte) (int, error) {
	s.part = append(s.part, p...)
	i := bytes.LastIndexByte(s.part, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(s.w, safetext.Text(string(s.part[:i+1]))); err != nil {
		return 0, err
	}
	s.part = append(s.part[:0], s.part[i+1:]...)
	return len(p), nil
}
