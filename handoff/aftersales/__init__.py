"""After-sales work in the handoff service: cases owned by a department with a resolution SLA,
compensation within an authorization matrix (supervisor approval above it), and the customer
360 shown on a ticket. Cases live in the handoff database: see docs/aftersales.md."""
