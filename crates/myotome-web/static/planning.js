// Planning: plan builder comfort (being built).
