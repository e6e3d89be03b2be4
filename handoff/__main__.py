"""`python -m handoff`: run the handoff service (port 5080 unless HANDOFF_PORT says otherwise)."""
from handoff.app import main

main()
