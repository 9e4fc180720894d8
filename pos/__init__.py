"""The composition root: the `pos` command wires core and the edges. Nothing imports it."""
