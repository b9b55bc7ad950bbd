"""Views of the result models: text, json, markdown, sarif, junit, github."""
