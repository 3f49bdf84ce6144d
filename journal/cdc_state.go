package journal

import (
	"maps"
	"time"
)

// The fold of the change-capture events: per stream, where it started,
// what was spooled and applied, the latest lag sample and a bounded
// history of lag for charts. Every reader (console, plain mode, replay,
// report) reads it from State.CDC, so they agree.

// CDCHistoryMax bounds a stream's lag history: past it, neighbouring
// points are merged pairwise (the larger lag kept), so a run of a million
// samples folds in constant memory per stream and the peaks stay visible.
const CDCHistoryMax = 256

// CDCRecentMax is how many of the latest lag samples a stream keeps as
// they came, for the console's sparkline.
const CDCRecentMax = 32

// CDCHeadroomLowBytes is the slot headroom under which the readers warn:
// less than this much more WAL and the source may drop what the stream
// still needs.
const CDCHeadroomLowBytes = 1 << 30

// Headroom levels of a lag sample (CDCLagPayload.HeadroomLevel).
const (
	CDCHeadroomOK      = iota // reserved, or not measured
	CDCHeadroomLow            // wal_status unreserved, or headroom under CDCHeadroomLowBytes
	CDCHeadroomLostLvl        // wal_status lost: the stream cannot go on from its position
)

// CDCStream is one change stream as the journal has it.
type CDCStream struct {
	Stream    string
	Source    string // the runbook connection captured
	Engine    string // postgres | mysql
	Tables    []string
	StartedAt time.Time // cdc_stream_started; zero when the journal lacks it
	Start     string    // the first position the stream owns

	// Spooled: the end position of the newest captured transaction, its
	// journal seq and source commit time, and what was captured in all.
	Spooled    string
	SpooledSeq int64
	SpooledAt  time.Time // source commit time of the newest spooled transaction
	Txs        int64     // transactions spooled
	Changes    int64     // row changes in them

	// Applied: the target has committed every spooled transaction up to
	// journal seq AppliedSeq (source position Applied).
	Applied        string
	AppliedSeq     int64
	AppliedAt      time.Time // time of the cdc_applied event
	AppliedTxs     int64
	AppliedChanges int64

	// LiveCopied: captured tables a copy read live (cdc_copy_live), each
	// with the source's log head once those reads were over (the largest).
	LiveCopied map[string]int64

	// Lag is the latest sample (nil before the first), taken at LagAt.
	Lag   *CDCLagPayload
	LagAt time.Time
	// Samples counts the lag samples; MaxLagMS is the largest end-to-end
	// lag measured (-1: none measured), at MaxLagAt.
	Samples  int64
	MaxLagMS int64
	MaxLagAt time.Time
	// MaxOpenTx is the oldest writing transaction seen open on the source
	// by any sample (nil: none seen, or a journal from before it was
	// read), at MaxOpenTxAt.
	MaxOpenTx   *CDCOpenTx
	MaxOpenTxAt time.Time
	// History is the end-to-end lag over the whole stream, at most
	// CDCHistoryMax points, each the largest of the samples it stands for;
	// Recent the latest CDCRecentMax measured samples as they came.
	History []CDCLagPoint
	Recent  []CDCLagPoint

	stride int         // samples per History point
	pend   CDCLagPoint // the point being filled
	pendN  int         // samples in it
}

// CDCLagPoint is one point of a stream's lag over time.
type CDCLagPoint struct {
	At          time.Time
	LagMS       int64
	ApplyLagTxs int64
}

// Behind is the number of spooled transactions not yet applied: the latest
// sample's count when it measured one, else spooled minus applied.
func (c CDCStream) Behind() int64 {
	if c.Lag != nil && c.Lag.ApplyLagTxs >= 0 {
		return c.Lag.ApplyLagTxs
	}
	return max(c.Txs-c.AppliedTxs, 0)
}

// Points is History with the point being filled after it: the lag over
// the whole stream up to its latest sample.
func (c CDCStream) Points() []CDCLagPoint {
	out := make([]CDCLagPoint, 0, len(c.History)+1)
	out = append(out, c.History...)
	if c.pendN > 0 {
		out = append(out, c.pend)
	}
	return out
}

// HeadroomLevel grades a sample's headroom: lost, low (unreserved, or less
// than CDCHeadroomLowBytes left) or ok.
func (p CDCLagPayload) HeadroomLevel() int {
	switch {
	case p.WALStatus == "lost":
		return CDCHeadroomLostLvl
	case p.WALStatus == "unreserved", p.HeadroomBytes >= 0 && p.HeadroomBytes < CDCHeadroomLowBytes:
		return CDCHeadroomLow
	}
	return CDCHeadroomOK
}

// cdc returns the stream named name, adding it on first sight (a journal
// cut before its cdc_stream_started still folds).
func (s *State) cdc(name string) *CDCStream {
	for i := range s.CDC {
		if s.CDC[i].Stream == name {
			return &s.CDC[i]
		}
	}
	s.CDC = append(s.CDC, CDCStream{Stream: name, MaxLagMS: -1, stride: 1})
	return &s.CDC[len(s.CDC)-1]
}

// applyCDC folds one change-capture event.
func (s *State) applyCDC(e Event, pl any) {
	switch p := pl.(type) {
	case CDCStreamPayload:
		c := s.cdc(p.Stream)
		c.Source, c.Engine, c.Tables, c.Start, c.StartedAt = p.Source, p.Engine, append([]string(nil), p.Tables...), p.Start, e.At
	case CDCChangesPayload:
		c := s.cdc(p.Stream)
		c.Spooled, c.SpooledSeq, c.SpooledAt = p.Position, e.Seq, p.At
		c.Txs++
		c.Changes += int64(len(p.Changes))
	case CDCAppliedPayload:
		c := s.cdc(p.Stream)
		c.Applied, c.AppliedSeq, c.AppliedAt = p.Position, p.Seq, e.At
		c.AppliedTxs += int64(p.Txs)
		c.AppliedChanges += int64(p.Changes)
	case CDCLagPayload:
		s.cdc(p.Stream).sample(e.At, p)
	case CDCCopyLivePayload:
		c := s.cdc(p.Stream)
		if c.LiveCopied == nil {
			c.LiveCopied = map[string]int64{}
		}
		for _, t := range p.Tables {
			if h, ok := c.LiveCopied[t]; !ok || (h >= 0 && (p.Head < 0 || p.Head > h)) { // -1, unknown, bounds nothing
				c.LiveCopied[t] = p.Head
			}
		}
	}
}

// sample folds one lag measurement.
func (c *CDCStream) sample(at time.Time, p CDCLagPayload) {
	c.Lag, c.LagAt = &p, at
	c.Samples++
	if o := p.OpenTx; o != nil && (c.MaxOpenTx == nil || o.AgeMS > c.MaxOpenTx.AgeMS) {
		c.MaxOpenTx, c.MaxOpenTxAt = o, at
	}
	if p.LagMS < 0 {
		return // not measured: no point on the chart
	}
	if p.LagMS > c.MaxLagMS {
		c.MaxLagMS, c.MaxLagAt = p.LagMS, at
	}
	pt := CDCLagPoint{At: at, LagMS: p.LagMS, ApplyLagTxs: p.ApplyLagTxs}
	if len(c.Recent) < CDCRecentMax {
		c.Recent = append(c.Recent, pt)
	} else { // shift in place: no allocation per sample
		copy(c.Recent, c.Recent[1:])
		c.Recent[len(c.Recent)-1] = pt
	}
	if c.stride < 1 {
		c.stride = 1
	}
	if c.pendN == 0 || pt.LagMS > c.pend.LagMS {
		c.pend = pt
	}
	if c.pendN++; c.pendN < c.stride {
		return
	}
	c.History = append(c.History, c.pend)
	c.pendN = 0
	if len(c.History) < CDCHistoryMax {
		return
	}
	// Full: merge neighbours, each point now standing for twice the samples.
	h := c.History[:0]
	for i := 0; i+1 < len(c.History); i += 2 {
		a, b := c.History[i], c.History[i+1]
		if b.LagMS > a.LagMS {
			a = b
		}
		h = append(h, a)
	}
	c.History = h
	c.stride *= 2
}

// cloneCDC deep-copies the streams for another goroutine.
func cloneCDC(in []CDCStream) []CDCStream {
	if in == nil {
		return nil
	}
	out := append([]CDCStream(nil), in...)
	for i := range out {
		c := &out[i]
		c.Tables = append([]string(nil), c.Tables...)
		c.History = append([]CDCLagPoint(nil), c.History...)
		c.Recent = append([]CDCLagPoint(nil), c.Recent...)
		c.LiveCopied = maps.Clone(c.LiveCopied)
		if c.Lag != nil {
			l := *c.Lag
			c.Lag = &l
		}
	}
	return out
}
