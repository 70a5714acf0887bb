"""The composition root: the `lightwing` command wires core, bot and api together."""
