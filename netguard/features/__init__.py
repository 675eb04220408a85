"""One module per option family; each has a pure plan(ctx, state, config)."""
