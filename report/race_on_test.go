//go:build race

package report

// raceDetector: the race detector slows the pure-Go SQLite driver ten- to
// fiftyfold, so the scale tests shrink their journals under it.
const raceDetector = true
