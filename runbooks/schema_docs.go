package runbooks

// What each runbook key holds and means, for the JSON Schema (schema.go)
// and docs/RUNBOOK.md. The keys themselves come from the registries the
// loader checks against (kinds.go, triggers.go, topKeys, objectiveKeys,
// connectionKeys, notifyKeys, castKeys); a test fails when a registered
// key has no entry here.

// valueType is the shape of a key's value.
type valueType int

const (
	tText      valueType = iota // a string (numbers and booleans are taken as written)
	tNonEmpty                   // a string that is not blank
	tStepID                     // [a-z0-9][a-z0-9_-]*
	tDuration                   // a Go duration: 45s, 30m, 1h30m
	tPercent                    // 0.1%, 150%
	tCount                      // a whole number, 0 or more
	tPositive                   // a whole number, 1 or more
	tBool                       // true or false
	tTextList                   // a list of strings
	tKeyList                    // a list of at least one string
	tTables                     // a list of table names, or the word all
	tCasts                      // a list of cast rules
	tKind                       // one of Kinds()
	tOnFailure                  // stop | rollback | continue
)

// keyDoc is one key: its value's shape and one line saying what it is.
type keyDoc struct {
	typ valueType
	doc string
}

// stepKeyDocs covers commonStepKeys and every key of every kind.
var stepKeyDocs = map[string]keyDoc{
	"id":            {tStepID, "the step's id, unique in the runbook: lower case, digits, - and _"},
	"kind":          {tKind, "what the step does"},
	"title":         {tText, "a line for people; the id is shown when there is none"},
	"owner":         {tNonEmpty, "who does or answers for the step"},
	"expected":      {tDuration, "how long the step should take; the console shows it against the elapsed time"},
	"on_failure":    {tOnFailure, "what a failure does when the step_failed trigger is off: stop (default), rollback or continue"},
	"idempotent":    {tBool, "true: running the step again after a crash is harmless, so a resume does not ask first"},
	"instructions":  {tText, "what to do, shown in the console"},
	"checklist":     {tTextList, "items to tick before the step can be confirmed"},
	"question":      {tNonEmpty, "what the decision-maker answers go or no-go to"},
	"run":           {tNonEmpty, "shell: the command (sh -c); switch: the routing hook (sh -c), run only once every precondition holds; sql: the statements, split on semicolons outside quotes and comments"},
	"undo":          {tNonEmpty, "shell: the command that takes the step back, shown beside the step and not run by itself (write it as a rollback step too); switch: the switch-back hook, run by a rollback after its steps"},
	"on":            {tNonEmpty, "sql: the connection to run the statements on; freeze, unfreeze: the connection whose writes stop or come back"},
	"tables":        {tTables, "the tables, or the word all (every table of the source); freeze: default every table the copy steps read or write on that connection; switch: default the tables the copies between from and to copied"},
	"from":          {tNonEmpty, "the connection read from (default source)"},
	"to":            {tNonEmpty, "the connection written to (default target)"},
	"batch":         {tPositive, "rows per batch, each committed with its checkpoint (default: sized by the engine and resized while the copy runs)"},
	"parallel":      {tPositive, "workers copying at once, over all tables and key ranges (default: one per core, 2 to 8; 1 into SQLite)"},
	"create":        {tBool, "create a missing target table through the type mapping, logging every narrowing"},
	"key":           {tKeyList, "the columns that identify a row, for tables without a primary key"},
	"casts":         {tCasts, "documented conversions: source values replaced before the type check, every use journaled"},
	"of":            {tNonEmpty, "the connection to snapshot (default source)"},
	"method":        {tNonEmpty, "the native method: sqlite vacuum-into|backup, postgres pg_dump, mysql schema|mysqldump (default: the first)"},
	"snapshot":      {tStepID, "the id of the snapshot step whose snapshot to restore"},
	"duration":      {tDuration, "how long to wait, more than zero"},
	"copy":          {tBool, "replicate: the subscription copies the tables' rows into an empty to first (default false: to already holds from's rows)"},
	"replication":   {tStepID, "switch: the id of the replicate step whose replication the switch turns around (blue-green): the switch freezes from itself, waits until to has every change, verifies, starts to → from, syncs sequences, runs the hook and unfreezes to; a rollback switches back the same way"},
	"lag":           {tDuration, "cdc-catchup: caught up once the end-to-end lag is under it (default 5s)"},
	"timeout":       {tDuration, "cdc-catchup: fail when not caught up within it (default: the step's expected, else no limit); switch: how long the drained precondition (and a rollback's drain of the reverse stream) waits (default: the stall timeout, at least 2m)"},
	"measure_write": {tBool, "measure the target's write rate on a scratch table created and dropped in the target (the only write an assessment does); without it the last recorded copy's rate, or unknown"},
	"sample":        {tNonEmpty, "read only this many rows (5000) or this share (10%) of each table; the predictions are then estimates (default: every row)"},
}

// kindDocs says what each registered step kind does.
var kindDocs = map[string]string{
	KindManual:     "a person does something outside tightrope and confirms it with a key, after ticking every checklist item",
	KindGate:       "the decision-maker answers go or no-go; no-go rolls back",
	KindShell:      "runs a command; its output is streamed to the log pane and journaled",
	KindSQL:        "runs statements against a connection, one by one",
	KindCopy:       "copies tables in key order, converting every value to the target type; a row that does not fit is rejected whole with its reason",
	KindVerify:     "compares source and target by count and by an order-independent checksum of every row, naming differing keys",
	KindSnapshot:   "takes a labelled, verified native snapshot of a connection",
	KindRestore:    "restores a snapshot taken by a snapshot step, proves it against its manifest and times it against the RTO",
	KindCDCStart:   "starts change capture on the source (PostgreSQL: a slot and publication of the tables, with the snapshot the copy steps from it read); capture runs until the run ends",
	KindCDCCatchup: "applies captured changes to the target (and goes on applying after the step) until the lag is under lag, failing after timeout",
	KindSwitch:     "runs the routing hook only after writes are frozen on from, change capture is drained, sequences are synced on to, the tables verify equal and the decision-maker says go; any failure unfreezes from and aborts. With replication: (blue-green) it freezes from itself and turns the replicate step's replication around",
	KindWait:       "waits for a while",
	KindFreeze:     "stops every other writer on a connection (PostgreSQL: write privileges revoked and writing sessions ended; MySQL: read_only), journaling what it changed so it can be given back exactly",
	KindUnfreeze:   "gives back exactly what the connection's freeze took (a rollback does it by itself)",
	KindReplicate:  "starts native replication from → to — PostgreSQL logical replication (publication, slot, subscription) or MariaDB GTID replication (a named replica connection) — with to frozen as a replica, and proves, before any switch, that to → from can replicate back (blue-green)",
	KindAssess:     "predicts, reading only, what the copies and snapshots will do (exact rejects, durations, sizes) and raises the assessment trigger on a blocker before a row moves",
}

// topKeyDocs covers topKeys.
var topKeyDocs = map[string]keyDoc{
	"version":        {tPositive, "the runbook format's version: 1"},
	"name":           {tNonEmpty, "what the migration is, for people"},
	"migration_id":   {tNonEmpty, "names the journal, checkpoints and snapshots: letters, digits, '.', '-' and '_'"},
	"decision_maker": {tNonEmpty, "the one person who answers gates and triggers (tightrope run --as NAME)"},
	"objectives":     {tText, "the numbers agreed before the window opens"},
	"strategy":       {tText, "how a rollback undoes the migration: snapshot or blue-green (this build runs both), cdc"},
	"connections":    {tText, "the databases, by name; steps refer to them"},
	"triggers":       {tText, "the rollback triggers: any one met stops the run until the decision-maker decides"},
	"notify":         {tText, "the communication plan: commands or webhooks told about events"},
	"steps":          {tText, "the migration, step by step"},
	"rollback":       {tText, "the rollback procedure, run in full when the run is rolled back"},
	"approvals":      {tText, "who must approve this exact runbook text (tightrope plan --approve --as NAME) before tightrope run starts"},
	"drill":          {tText, "for tightrope drill: each connection's stand-in (its own dsn_env or path), never the live one"},
}

// objectiveKeyDocs covers objectiveKeys.
var objectiveKeyDocs = map[string]keyDoc{
	"rto":           {tDuration, "recovery time objective: the longest the rollback may take"},
	"rpo":           {tDuration, "recovery point objective: the most data that may be lost"},
	"expected":      {tDuration, "how long the whole run should take; the overrun trigger compares against it"},
	"window":        {tDuration, "the maintenance window; warnings in its last tenth and when it closes"},
	"stall_timeout": {tDuration, "how long a database may stay silent before it counts as stalled (1s to 1h, default 30s)"},
}

// connectionKeyDocs covers connectionKeys.
var connectionKeyDocs = map[string]keyDoc{
	"driver":              {tNonEmpty, "sqlite, postgres or mysql (MySQL and MariaDB)"},
	"dsn_env":             {tNonEmpty, "the environment variable holding the DSN: secrets never live in a runbook"},
	"path":                {tNonEmpty, "sqlite only: the database file, relative to the runbook"},
	"replication_dsn_env": {tNonEmpty, "postgres and mysql, blue-green: the environment variable holding how the other server reaches this one — PostgreSQL a conninfo (a role with REPLICATION), MariaDB user:pass@tcp(host:port)/ (an account with REPLICATION SLAVE); default the DSN. A secret like the DSN"},
}

// notifyKeyDocs covers notifyKeys.
var notifyKeyDocs = map[string]keyDoc{
	"on":   {tKeyList, "events to notify on: trigger, decision, rollback, finished, started, step, failed, warning, note, all, or raw event types"},
	"exec": {tNonEmpty, "a command that gets the event as JSON on stdin"},
	"url":  {tNonEmpty, "a webhook that gets the event as a JSON POST (http:// or https://)"},
}

// castKeyDocs covers castKeys.
var castKeyDocs = map[string]keyDoc{
	"column": {tNonEmpty, "table.column the cast applies to"},
	"map":    {tText, "source value → new value; null means SQL NULL; a value matches when the source value's text is exactly the key"},
}
