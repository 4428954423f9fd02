# pvctl (pending)
