-- The baseline: the cheapest route that touches the database.
function request()
  return wrk.format("GET", "/healthz")
end
