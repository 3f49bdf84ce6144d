// Package bluegreen runs the blue-green strategy between two databases of
// one engine with the engine's own replication: blue is the live (old)
// side, green the new one. The conductor talks to one Pair interface;
// Open picks the implementation registered (Register) for the sides'
// driver: "postgres", logical replication (a publication on blue and a
// subscription on green; pair.go and the files without a prefix), or
// "mysql", MariaDB GTID replication between two servers (named replica
// connections; my_*.go, see my_pair.go and my_replica.go for the GTID
// domain and strict-mode choices).
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
// The freeze is the caller's Freezer (the conductor plugs in its
// journaled freeze, engine/cutover); the sequences are set by
// cutover.SyncSequencesFrom. Each phase is told to Hooks.Phase as it ends
// and the routing hook runs inside the switch (Hooks.Route), with both
// sides frozen; ResumeSwitch and ResumeSwitchBack take up a switch
// interrupted with the old side frozen. Both pairs switch through one
// procedure, runCut (cut.go), with their own steps (cutSteps).
//
// MariaDB: tightrope's sessions run with sql_log_bin = 0, so its own
// writes on a side take no GTID; gtid_slave_pos is set only in the
// source's domains and only with every replica connection of the server
// stopped (one that runs is named, never stopped); the switch compares
// with engine/verify.
//
// PostgreSQL 15 has no origin = none, so the two directions never run at
// the same time: the forward subscription is gone before the reverse one
// starts. Sequences are not replicated by logical replication; the switch
// sets them on the side becoming live.
//
// The connection strings (Side.DSN, Side.ConnInfo) carry credentials: no
// message of this package contains them.
package bluegreen
