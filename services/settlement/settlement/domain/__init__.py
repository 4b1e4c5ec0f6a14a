"""Settlement's pure domain: no database, no messaging, only the standard library, the kit and
the dispatch contract's constants. The use cases gather inputs (sealed agreement versions,
placements, the county's reward and subsidy rules, what closed periods settled) and hand them
here; what comes back is what they store.

- `periods`: calendar months "YYYY-MM" (Asia/Shanghai business dates) and month arithmetic.
- `rules`: the rules an item is computed by, and which version is in force on a day.
- `items`: what one placement has earned by a day (service revenue, policy subsidy, agent
  reward), each an `Item` with a stable key, a due date and its amount split into parties.
- `shares`: the largest-remainder split on fen and the pro-rata floor of partial payments.
- `assembly`: a period's rows: what is due and not yet settled, adjustments for what changed,
  and the deferral of any (statement, payee) group whose net would be negative.
- `books`: a village cooperative's double-entry chart and its two kinds of entry.
"""
