"""Demo data: an area tree, teams, volunteers and residents to try Lightwing with."""
