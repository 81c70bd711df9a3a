"""What the stack tests expect of the code location, and the GraphQL queries several suites ask it."""

ASSETS = {
    "mysql_users", "mysql_authors", "mysql_books", "mysql_orders",
    "users_cleaned", "orders_cleaned",
    "user_stats", "top_authors", "daily_revenue",
    "user_stats_csv", "top_authors_csv",
}  # fmt: skip
INSTIGATORS_QUERY = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    ... on Repository {
      schedules { name cronSchedule scheduleState { id status } }
      sensors { name sensorType sensorState { id status } }
    }
    ... on PythonError { message }
  }
}
"""
RUNS_QUERY = """
query($filter: RunsFilter) {
  runsOrError(filter: $filter, limit: 500) {
    ... on Runs { results { runId jobName status tags { key value } } }
    ... on PythonError { message }
  }
}
"""
