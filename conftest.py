pytest_plugins = ["zhengxie.testing.fixtures"]
