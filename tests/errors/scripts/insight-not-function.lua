-- An insight must return a function; this returns a sentence.
return "Customers are growing."
