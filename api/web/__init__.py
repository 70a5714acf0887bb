"""The accessible resident web chat and the coordinator dashboard (HTML, CSS, JS; no build step)."""
