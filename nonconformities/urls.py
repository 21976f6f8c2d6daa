app_name = "nonconformities"

urlpatterns = []
