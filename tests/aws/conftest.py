pytest_plugins = ["helpers.moto_fixtures"]
