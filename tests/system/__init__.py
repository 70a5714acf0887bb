"""System tests: real lightwing processes, real databases, bad input over HTTP."""
