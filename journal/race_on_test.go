//go:build race

package journal

// raceDetector: the race detector slows the pure-Go SQLite driver ten- to
// fiftyfold, so the scale tests shrink their journals under it.
const raceDetector = true
