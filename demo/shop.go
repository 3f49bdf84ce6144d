// Package demo writes the demo's world: a shop database with the kind of
// dirt real migrations meet ('N/A' ratings, over-precise prices, overlong
// e-mail addresses, orphaned NULLs), a stricter target schema, and the demo
// runbook with the person running it as decision-maker.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/tightrope/tightrope/runbooks"

	_ "modernc.org/sqlite" // the SQLite driver
)

// Sizes of the demo tables.
const (
	Customers = 1200
	Products  = 400
	Orders    = 3000
)

// Files written into the demo directory.
const (
	SourceFile  = "shop.db"
	TargetFile  = "target.db"
	RunbookFile = "demo.yaml"
)

const sourceSchema = `
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, created_at TEXT);
CREATE TABLE products  (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, price REAL, rating TEXT);
CREATE TABLE orders    (id INTEGER PRIMARY KEY, customer_id INTEGER, product_id INTEGER, qty INTEGER, total TEXT, placed_at TEXT);
CREATE TABLE cutover_log (id INTEGER PRIMARY KEY, at TEXT, note TEXT);
`

// The target is stricter, as a new schema usually is: typed, sized, and
// NOT NULL where the old one was lax.
const targetSchema = `
CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, email VARCHAR(64), created_at DATE);
CREATE TABLE products  (id INTEGER PRIMARY KEY, sku VARCHAR(16) NOT NULL, name VARCHAR(80) NOT NULL, price NUMERIC(10,2) NOT NULL, rating INTEGER);
CREATE TABLE orders    (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL, total NUMERIC(12,2) NOT NULL, placed_at TIMESTAMP NOT NULL);
`

// Write creates the shop source database, the empty target and the demo
// runbook (with decisionMaker) in dir, replacing earlier demo files.
func Write(ctx context.Context, dir, decisionMaker string) (runbookPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range []string{SourceFile, TargetFile} {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if err := os.Remove(filepath.Join(dir, f+suffix)); err != nil && !os.IsNotExist(err) {
				return "", err
			}
		}
	}
	if err := build(ctx, filepath.Join(dir, SourceFile), sourceSchema, fillShop); err != nil {
		return "", fmt.Errorf("writing the shop database: %w", err)
	}
	if err := build(ctx, filepath.Join(dir, TargetFile), targetSchema, nil); err != nil {
		return "", fmt.Errorf("writing the target database: %w", err)
	}
	// The runbook's first line points editors at the schema beside it.
	if err := os.WriteFile(filepath.Join(dir, runbooks.SchemaFile), runbooks.SchemaJSON(), 0o644); err != nil {
		return "", err
	}
	runbookPath = filepath.Join(dir, RunbookFile)
	return runbookPath, os.WriteFile(runbookPath, Runbook(decisionMaker), 0o644)
}

func build(ctx context.Context, path, schema string, fill func(*sql.Tx) error) error {
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer d.Close()
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	if fill != nil {
		if err := fill(tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// fillShop writes deterministic data (a fixed seed): the same demo every time.
func fillShop(tx *sql.Tx) error {
	rng := rand.New(rand.NewPCG(42, 2026))
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Niklaus"}
	last := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Wirth"}
	ins, err := tx.Prepare("INSERT INTO customers VALUES (?, ?, ?, ?)")
	if err != nil {
		return err
	}
	for id := 1; id <= Customers; id++ {
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		email := strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", f, l, id))
		if id == 1150 { // one address too long for VARCHAR(64)
			email = strings.ToLower(fmt.Sprintf("%s.%s.with.a.very.long.department.name.%d@subsidiary.example.com", f, l, id))
		}
		day := fmt.Sprintf("20%02d-%02d-%02d", 15+rng.IntN(10), 1+rng.IntN(12), 1+rng.IntN(28))
		if _, err := ins.Exec(id, f+" "+l, email, day); err != nil {
			return err
		}
	}
	ins, err = tx.Prepare("INSERT INTO products VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	nouns := []string{"Kettle", "Lamp", "Chair", "Notebook", "Mug", "Backpack", "Umbrella", "Clock"}
	for id := 1; id <= Products; id++ {
		price := float64(100+rng.IntN(99900)) / 100 // two decimals, fits NUMERIC(10,2)
		if id%37 == 0 {                             // eleven prices with more decimals than the target keeps
			price += 0.005
		}
		var rating any = 1 + rng.IntN(5)
		if id%23 == 0 { // seventeen ratings that were never numbers
			rating = "N/A"
		}
		name := fmt.Sprintf("%s %d", nouns[rng.IntN(len(nouns))], id)
		if _, err := ins.Exec(id, fmt.Sprintf("SKU-%05d", id), name, price, rating); err != nil {
			return err
		}
	}
	ins, err = tx.Prepare("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	for id := 1; id <= Orders; id++ {
		var customer any = 1 + rng.IntN(Customers)
		if id%1500 == 0 { // two orders that lost their customer long ago
			customer = nil
		}
		qty := 1 + rng.IntN(5)
		total := fmt.Sprintf("%d.%02d", 1+rng.IntN(900), rng.IntN(100))
		at := fmt.Sprintf("2026-%02d-%02d %02d:%02d:%02d", 1+rng.IntN(11), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60))
		if _, err := ins.Exec(id, customer, 1+rng.IntN(Products), qty, total, at); err != nil {
			return err
		}
	}
	return nil
}
