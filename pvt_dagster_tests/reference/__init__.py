"""The pandas engine as it was before the Arrow engine (frozen copies, for equivalence tests).

These modules are the production code of commit 8816a82 with imports pointed here; the golden
test runs them and the Arrow engine on the same corpus and compares every result.
"""
