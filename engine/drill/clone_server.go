package drill

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/runbooks"
)

func (p *Prepared) clonePostgres(ctx context.Context, live runbooks.Connection, o Options) (runbooks.Connection, error) {
	return runbooks.Connection{}, fmt.Errorf("--clone of a postgres connection is not built yet: give it a drill: dsn_env")
}

func (p *Prepared) cloneMySQL(ctx context.Context, live runbooks.Connection, o Options) (runbooks.Connection, error) {
	return runbooks.Connection{}, fmt.Errorf("--clone of a mysql connection is not built yet: give it a drill: dsn_env")
}
