"""Endpoint groups; ``ewelink.client.EWeLinkClient`` combines them."""
