"""fileproc: the Lambda package behind the image, document, data and API functions."""
