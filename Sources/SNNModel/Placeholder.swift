// SNNModel
