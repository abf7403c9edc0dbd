from django.urls import path

from realtime.consumers import HouseholdConsumer

websocket_urlpatterns = [path("ws/household/", HouseholdConsumer.as_asgi())]
