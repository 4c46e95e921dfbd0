"""The plugin contract: hook specifications, typed models, errors and the helpers plugins use."""
