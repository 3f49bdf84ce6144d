// Package examples holds the runnable example runbooks, embedded so the
// binary can write them out (the demo does).
package examples

import _ "embed"

// Demo is the demo runbook; its decision_maker line reads "you".
//
//go:embed demo.yaml
var Demo []byte

// BlueGreen is the blue-green PostgreSQL runbook; its hooks call
// ./route.sh.
//
//go:embed blue-green-postgres.yaml
var BlueGreen []byte

// BlueGreenMariaDB is the blue-green MariaDB runbook; its hooks call
// ./route.sh.
//
//go:embed blue-green-mariadb.yaml
var BlueGreenMariaDB []byte
