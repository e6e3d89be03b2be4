"""The WeChat Official Account channel: XML codec, AES crypto, customer-service API, rendering."""
