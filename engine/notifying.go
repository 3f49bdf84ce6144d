package engine

import (
	"context"
	"fmt"
	"os"

	"github.com/tightrope/tightrope/engine/notify"
	"github.com/tightrope/tightrope/journal"
)

// failingAfter is how many failures in a row of one notifier raise a warning.
const failingAfter = 3

// startNotifier sets up the communication plan of the runbook. Each
// delivery is journaled; a notifier that keeps failing raises a warning,
// and nothing a notifier does can hold up the run or its rollback.
func (c *Conductor) startNotifier() {
	rb := c.opts.Runbook
	if len(rb.Notify) == 0 {
		return
	}
	var secrets []string
	for _, conn := range rb.Connections {
		for _, env := range conn.SecretEnvs() {
			if v := os.Getenv(env); v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	c.notifier = notify.New(rb.Notify, notify.Options{
		BaseDir: c.opts.BaseDir, Secrets: secrets, MigrationID: rb.MigrationID, RunbookName: rb.Name,
		Mode: c.state.Mode, Record: c.recordNotification, Down: c.notifyDown(),
	})
}

func (c *Conductor) recordNotification(p journal.NotifiedPayload) {
	_, _ = c.emit(c.opts.Operator, "", journal.Notified, p)
	c.notifyMu.Lock()
	n := 0
	if p.OK {
		c.failing[p.Target] = 0
	} else {
		c.failing[p.Target]++
		n = c.failing[p.Target]
	}
	c.notifyMu.Unlock()
	if n == failingAfter {
		c.warn("notify", fmt.Sprintf("notifier %s failed %d times in a row: %s", p.Target, n, p.Error))
	}
}

// stopNotifier delivers what is queued, for at most Options.NotifyDrain.
func (c *Conductor) stopNotifier() {
	if c.notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.NotifyDrain)
	defer cancel()
	_ = c.notifier.Close(ctx)
}
