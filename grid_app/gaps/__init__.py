"""Gap flags on cells and their workflow: raised, acknowledged, assigned, resolved."""
