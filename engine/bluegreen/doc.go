// Package bluegreen runs the blue-green strategy between two PostgreSQL
// databases with PostgreSQL's own logical replication: blue is the live
// (old) side, green the new one, kept in step by a publication on blue and
// a subscription on green.
//
// A Pair prepares the forward path (Prepare), proves before the first
// switch that the reverse path green → blue can work (CheckReverse),
// measures the lag (Lag, WaitCaughtUp), and switches the live side in
// seconds (Switch, SwitchBack): freeze the live side, wait until the other
// side has every change, compare both sides row by row, drop the
// subscription, start replication the other way with its slot created
// while both sides are frozen, carry the sequences over and unfreeze the
// new live side. A switch that fails before the old subscription is
// dropped unfreezes the old side and leaves replication as it was: the old
// side stays live and writable.
//
// PostgreSQL 15 has no origin = none, so the two directions never run at
// the same time: the forward subscription is gone before the reverse one
// starts. Sequences are not replicated by logical replication; the switch
// sets them on the side becoming live.
//
// The connection strings (Side.DSN, Side.ConnInfo) carry credentials: no
// message of this package contains them.
package bluegreen
