// SNNMethods
